SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.route_event: turns one row of relay.event into messages, one per
-- enabled subscription that matches it, and marks the event routed or
-- unrouted. @messages returns how many messages it enqueued.
--
-- Called by: relay.raise (in the host's transaction), and by `dbrelay retry
-- --event ID` for an event that was unrouted (routed again against today's
-- subscriptions, e.g. after `dbrelay subscription add`).
--
-- Matching: a subscription's event is the event's name, or a pattern in
-- which * stands for any run of characters; its ref_prefix, when not '',
-- must begin the event's ref. Comparisons are by code point (binary
-- collation), as on PostgreSQL. Several subscriptions matching on the same
-- channel and address give one message (the lowest subscription id is
-- recorded).
--
-- ECHO is reserved: an ECHO event goes to the channel its ref names,
-- directly, whatever the subscriptions say (the health check and `dbrelay
-- channel test` use it); a missing ref (50002) or an unknown channel
-- (50005) is an error, since a test of nothing must not pass silently.
--
-- Every message goes through relay.enqueue (its checks, its errors); any
-- error rolls back every message of the event: all or nothing, like
-- relay.push.
--
-- dbrelay's own: `dbrelay migrate up` restores it. Route with
-- relay.subscription, not by editing this.
CREATE OR ALTER PROCEDURE relay.route_event
    @event_id bigint,
    @messages int = NULL OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    DECLARE @event nvarchar(100);
    DECLARE @ref nvarchar(200);
    DECLARE @payload nvarchar(max);
    DECLARE @msg nvarchar(2048);
    DECLARE @mid bigint;
    DECLARE @sub bigint;
    DECLARE @channel nvarchar(100);
    DECLARE @address nvarchar(400);
    DECLARE @i int;
    DECLARE @n int;
    DECLARE @own_tran bit = 0;
    DECLARE @route TABLE (
        seq int IDENTITY (1, 1) PRIMARY KEY,
        subscription_id bigint NULL,
        channel nvarchar(100) NOT NULL,
        address nvarchar(400) NOT NULL
    );

    SELECT
        @event = e.event,
        @ref = e.ref,
        @payload = e.payload
    FROM relay.event AS e
    WHERE e.id = @event_id;
    IF @event IS NULL
    BEGIN
        SET @msg = N'relay.route_event: no event ' + ISNULL(CONVERT(nvarchar(20), @event_id), N'NULL')
            + N'. Hint: Look the id up in relay_api.events.';
        THROW 50020, @msg, 1;
    END;

    IF @event COLLATE Latin1_General_100_BIN2 = N'ECHO'
    BEGIN
        IF ISNULL(@ref, N'') = N''
        BEGIN
            THROW 50002, N'relay.raise: an ECHO event needs the channel''s code in @Ref. Hint: EXEC relay.raise @Event = N''ECHO'', @Ref = N''<channel code>''.', 1;
        END;
        IF NOT EXISTS (SELECT 1 FROM relay.channel WHERE code = @ref)
        BEGIN
            SET @msg = N'relay.raise: ECHO: channel "' + LEFT(@ref, 100)
                + N'" does not exist. Hint: Use a code from relay.channel.';
            THROW 50005, @msg, 1;
        END;
        INSERT INTO @route (subscription_id, channel, address) VALUES (NULL, @ref, N'');
    END
    ELSE
    BEGIN
        INSERT INTO @route (subscription_id, channel, address)
        SELECT
            MIN(s.id),
            s.channel,
            s.address
        FROM relay.subscription AS s
        WHERE
            s.enabled = 1
            AND @event COLLATE Latin1_General_100_BIN2
            LIKE REPLACE(REPLACE(s.event, N'_', N'\_'), N'*', N'%') ESCAPE N'\'
            AND (
                s.ref_prefix = N''
                OR (
                    LEFT(ISNULL(@ref, N'') COLLATE Latin1_General_100_BIN2, DATALENGTH(s.ref_prefix) / 2) = s.ref_prefix
                    AND DATALENGTH(LEFT(ISNULL(@ref, N'') COLLATE Latin1_General_100_BIN2, DATALENGTH(s.ref_prefix) / 2))
                    = DATALENGTH(s.ref_prefix)
                )
            )
        GROUP BY s.channel, s.address
        ORDER BY s.channel, s.address;
    END;

    -- Insert. Open a transaction only when the caller has none, and commit
    -- only that one: a caller's transaction is the caller's to commit.
    IF @@TRANCOUNT = 0
    BEGIN
        BEGIN TRANSACTION;
        SET @own_tran = 1;
    END;
    BEGIN TRY
        SET @n = (SELECT COUNT(*) FROM @route);
        SET @i = 1;
        WHILE @i <= @n
        BEGIN
            SELECT
                @sub = subscription_id,
                @channel = channel,
                @address = address
            FROM @route
            WHERE seq = @i;
            EXEC relay.enqueue
                @Sender = N'',
                @Receiver = @channel,
                @Channel = @channel,
                @Title = @event,
                @Body = N'',
                @Payload = @payload,
                @Event = @event,
                @Ref = @ref,
                @Address = @address,
                @Id = @mid OUTPUT;
            INSERT INTO relay.event_message (event_id, message_id, subscription_id) VALUES (@event_id, @mid, @sub);
            SET @i = @i + 1;
        END;
        UPDATE relay.event
        SET
            status = CASE WHEN @n > 0 THEN N'routed' ELSE N'unrouted' END,
            messages = messages + @n
        WHERE id = @event_id;
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
    SET @messages = @n;
END;
GO
-- Never executable by public: relay.raise reaches it by ownership chaining,
-- `dbrelay retry --event` runs as the owner.
-- (Through sp_executesql only because sqlfluff 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.route_event FROM public';
GO
