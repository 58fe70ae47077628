SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.on_outcome: the hook called once when a message becomes sent or dead.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: the message_outcome trigger, inside the listener's write-back
-- transaction (one write-back covers a batch of messages).
--
-- Errors: the trigger runs this hook in TRY/CATCH with XACT_ABORT OFF. An
-- error that leaves the transaction committable is swallowed and appended
-- to the message's last_error ("relay.on_outcome failed: ..."), and the
-- outcome is recorded, as on PostgreSQL. But on SQL Server most errors
-- raised inside a trigger doom the transaction whatever XACT_ABORT says;
-- then nothing can save it: the error is raised again, the whole write-back
-- batch rolls back, the listener retries it for one lease and logs it, and
-- the messages are claimed and delivered AGAIN when their lease ends. So:
-- keep this hook short and unable to fail (no conversions of doubtful data,
-- no remote calls, no SET XACT_ABORT ON, no COMMIT or ROLLBACK). If your
-- reaction is risky, insert a row into a table of your own here and do
-- the work from there.
--
-- Integrators: put your reaction here, e.g. mark your own task notified
-- (Domino's mail-in agent, InfoPlus Messenger's ACTION_DONE handler):
--   UPDATE dbo.wf_task SET notified_at = SYSUTCDATETIME() WHERE instance_id = @ref;
-- Keep the signature. It runs for every finished message.
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
