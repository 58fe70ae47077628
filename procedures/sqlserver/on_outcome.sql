SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.on_outcome: the hook called once when a message becomes sent or dead.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: relay.run_hooks, from a listener's hook runner, after the
-- outcome was committed (the message_outcome trigger only queues the call
-- in relay.hook_run), in a transaction of its own that also removes the
-- queued call: the hook runs once per outcome, usually within a moment.
--
-- Errors: whatever this raises (even an error that dooms the transaction)
-- rolls back this hook's work alone; the outcome stays as it is, the
-- message is never delivered again because of it, the error shows in
-- relay_api.hook_failures, and the call is retried with a backoff until it
-- succeeds. Do not COMMIT or ROLLBACK here: the caller owns the
-- transaction (the hook's work commits together with its dequeue).
--
-- Integrators: put your reaction here, e.g. mark your own task notified
-- (Domino's mail-in agent, InfoPlus Messenger's ACTION_DONE handler):
--   UPDATE dbo.wf_task SET notified_at = SYSUTCDATETIME() WHERE instance_id = @ref;
-- Keep the signature: a dbrelay version that changes it says so in its
-- migration, and `migrate up` stops until your version follows.
CREATE OR ALTER PROCEDURE relay.on_outcome
    @message_id bigint,
    @status nvarchar(16),
    @channel nvarchar(100),
    @receiver nvarchar(200),
    @event nvarchar(100),
    @ref nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    RETURN;  -- default: nothing to do
END;
GO
-- Only the message_outcome trigger calls it (ownership chaining: no grant
-- needed). Never executable by public; keep this if you edit the hook.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.on_outcome FROM public';
GO
