SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.raise: raise an event from the host's transaction; the event's id
-- comes back in @Id (relay_api.events).
--
-- Called by: the host application inside its own transaction, e.g. when a
-- workflow step is done:
--   EXEC relay.raise @Event = N'ACTION_DONE', @Ref = N'leave/approve/42',
--        @Payload = N'{"by": "lisi"}';
-- The event and its messages commit or roll back with the host's
-- transaction.
--
-- What it does: records the event in relay.event and enqueues one message
-- per matching subscription (relay.route_event: pattern and ref prefix;
-- ECHO goes to the channel its ref names). An event no enabled
-- subscription matches is recorded as unrouted and is no error: the host's
-- transaction never fails because nobody listens. Each message carries the
-- event as its event and title, the ref and the payload; its receiver is
-- the channel's code.
-- Errors (THROW): 50001 @Event is NULL; 50002 @Event is empty or longer
-- than 100 characters, @Ref longer than 200, @Payload not JSON, or an ECHO
-- without a channel; 50005 an ECHO to an unknown channel; 50006 the
-- payload is over relay.settings.max_message_bytes (relay.enqueue). Any
-- error enqueues nothing.
--
-- Permissions: a host needs EXECUTE on this procedure only
-- (docs/sqlserver-roles.sql); ownership chaining lets it read the
-- subscriptions and insert the event and its messages, which the host
-- itself cannot. EXECUTE is revoked from public at the end of this file.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Route with
-- relay.subscription (`dbrelay subscription add`).
CREATE OR ALTER PROCEDURE relay.raise
    @Event nvarchar(max),
    @Ref nvarchar(max) = NULL,
    @Payload nvarchar(max) = NULL,
    @Id bigint = NULL OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @own_tran bit = 0;

    IF @Event IS NULL
    BEGIN
        THROW 50001, N'relay.raise: event is NULL. Hint: Pass the event''s name, e.g. N''ACTION_DONE''.', 1;
    END;
    IF @Event = N'' OR DATALENGTH(@Event) > 200
    BEGIN
        THROW 50002, N'relay.raise: event must be 1 to 100 characters. Hint: Pass the event''s name, e.g. N''ACTION_DONE''.', 1;
    END;
    IF DATALENGTH(@Ref) > 400
    BEGIN
        THROW 50002, N'relay.raise: ref is over 200 characters. Hint: Name the business object briefly, e.g. N''workflow/step/instance''.', 1;
    END;
    IF @Payload IS NOT NULL AND ISJSON(@Payload) = 0
    BEGIN
        THROW 50002, N'relay.raise: payload is not JSON. Hint: Pass a JSON object or array (FOR JSON builds one), or NULL.', 1;
    END;

    IF @@TRANCOUNT = 0
    BEGIN
        BEGIN TRANSACTION;
        SET @own_tran = 1;
    END;
    BEGIN TRY
        INSERT INTO relay.event (event, ref, payload, status)
        VALUES (@Event, @Ref, @Payload, N'unrouted');
        SET @Id = CONVERT(bigint, SCOPE_IDENTITY());
        EXEC relay.route_event @event_id = @Id;
        IF @own_tran = 1
        BEGIN
            COMMIT TRANSACTION;
        END;
    END TRY
    BEGIN CATCH
        IF @own_tran = 1 AND @@TRANCOUNT > 0
        BEGIN
            ROLLBACK TRANSACTION;
        END;
        THROW;
    END CATCH;
END;
GO
-- Granted explicitly (docs/sqlserver-roles.sql), never to public.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.raise FROM public';
GO
