-- dbrelay 000009 (SQL Server): the internal inbox and per-channel rate
-- limits (docs/channels.md, "Internal inbox" and "Rate limits").
--
-- One batch, one transaction, no GO (golang-migrate's sqlserver driver
-- sends the file as it is). The PostgreSQL twin documents each column.
-- `dbrelay migrate up` then applies this release's object files
-- (relay_api.inbox, relay.mark_read, the trigger relay.message_inbox).
--
-- No filtered index (error 1934 for hosts whose sessions run with
-- QUOTED_IDENTIFIER off): message_inbox leads with inbox, NULL for every
-- message not on an internal channel, so inbox rows sit together and an
-- unread count seeks (inbox, receiver, read_at) to the receiver's unread
-- messages. It costs every insert one more index entry.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

ALTER TABLE relay.message ADD inbox bit NULL, read_at datetime2(6) NULL;
-- Dynamic SQL: this batch was compiled before the columns existed.
EXEC sp_executesql N'UPDATE m SET m.inbox = 1
FROM relay.message AS m
INNER JOIN relay.channel AS c ON m.channel = c.code
WHERE c.kind = N''internal''';
EXEC sp_executesql N'CREATE NONCLUSTERED INDEX message_inbox
ON relay.message (inbox, receiver, read_at) INCLUDE (status)';

ALTER TABLE relay.channel ADD rate_per_minute int NULL
    CONSTRAINT channel_rate_per_minute_check CHECK (rate_per_minute BETWEEN 1 AND 6000000);

CREATE TABLE relay.channel_rate (
    channel        nvarchar(100) NOT NULL,
    next_at        datetime2(6)  NOT NULL,
    deferred_until datetime2(6)  NOT NULL,
    CONSTRAINT channel_rate_pkey PRIMARY KEY (channel),
    CONSTRAINT channel_rate_channel_fkey FOREIGN KEY (channel) REFERENCES relay.channel (code)
        ON UPDATE CASCADE ON DELETE CASCADE
);

COMMIT TRANSACTION;
