-- dbrelay 000001 down (SQL Server): removes everything dbrelay installed.
--
-- One batch, one transaction (golang-migrate's sqlserver driver sends the
-- file as it is; it also runs as it is in sqlcmd or SSMS).
--
-- The repeatable objects go first: views, then triggers, then procedures and
-- functions in schemas relay and relay_api, found in sys.objects and dropped
-- one by one with sp_executesql, so that the tables can be dropped after
-- them. If one of the host's own objects depends on a relay table (a view
-- WITH SCHEMABINDING, a foreign key), its DROP fails, XACT_ABORT rolls the
-- whole transaction back, and nothing is dropped: this never removes a
-- host's object.
--
-- Never use golang-migrate's Drop (`migrate drop`) on a host's database: the
-- sqlserver driver's Drop runs sp_MSforeachtable 'DROP TABLE ?', which drops
-- EVERY table in the database, not only dbrelay's.

SET XACT_ABORT ON;
BEGIN TRANSACTION;

DECLARE @drop nvarchar(max);

-- 1 = views, 2 = triggers, 3 = procedures and functions; newest first.
WHILE 1 = 1
BEGIN
    SET @drop = NULL;
    SELECT TOP (1)
        @drop = N'DROP '
            + CASE
                WHEN o.type = 'V' THEN N'VIEW '
                WHEN o.type = 'TR' THEN N'TRIGGER '
                WHEN o.type = 'P' THEN N'PROCEDURE '
                ELSE N'FUNCTION '
            END
            + QUOTENAME(s.name) + N'.' + QUOTENAME(o.name)
    FROM sys.objects AS o
    INNER JOIN sys.schemas AS s ON o.schema_id = s.schema_id
    WHERE
        s.name IN (N'relay', N'relay_api')
        AND o.type IN ('V', 'TR', 'P', 'FN', 'IF', 'TF')
    ORDER BY
        CASE WHEN o.type = 'V' THEN 1 WHEN o.type = 'TR' THEN 2 ELSE 3 END,
        o.object_id DESC;
    IF @drop IS NULL BREAK;
    EXEC sp_executesql @drop;
END;

DROP TABLE relay.delivery;
DROP TABLE relay.message;
DROP TABLE relay.recipient;
DROP TABLE relay.settings;
DROP TABLE relay.channel;
DROP TABLE relay.schema_object;

IF SCHEMA_ID(N'relay_api') IS NOT NULL
    DROP SCHEMA relay_api;

-- Schema relay also holds golang-migrate's version table when dbrelay ran
-- the migrations, so it can only go when it is empty; `dbrelay migrate down`
-- removes it afterwards.
IF SCHEMA_ID(N'relay') IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM sys.objects WHERE schema_id = SCHEMA_ID(N'relay'))
    AND NOT EXISTS (SELECT 1 FROM sys.types WHERE schema_id = SCHEMA_ID(N'relay'))
    DROP SCHEMA relay;

COMMIT TRANSACTION;
