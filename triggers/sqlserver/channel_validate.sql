SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- Checks a relay.channel row when it is written, as far as the database
-- can, so that a typo fails where it is made instead of leaving messages
-- pending behind a listener that cannot use the channel. Raises 50007
-- with a message naming the field, then ". Hint: " and the fix.
--
--   kind      one this dbrelay knows: the CHECK channel_kind_check refuses
--             others first (error 547; SQL Server checks constraints before
--             AFTER triggers), as channel_config_check refuses a config
--             that is not a JSON object.
--   webhook, sms
--             target: an absolute http or https URL with a host, without
--             white space or control characters, without user:password@
--             (credentials go in config.basic_auth.password_env). config:
--             headers, when present, an object; basic_auth, when present,
--             an object with a username (no ':') and a password_env that is
--             an environment variable's name.
--   webhook   a preset (chat robot), when named, is wecom, dingtalk or
--             feishu, and a WeCom robot has no secret_env; oauth2, when
--             present, is an object, and not beside basic_auth.
--   internal  no target, no config keys, no secret_env.
--   email     checked by its sender.
--
-- Less than PostgreSQL's trigger checks: listing a config's keys (unknown
-- keys, each header's name and value) needs OPENJSON, which needs
-- compatibility level 130, and installing dbrelay must work below it. The
-- listener checks everything when it loads the channel, and its log says
-- what to fix. Whether it may read the variables named is the operator's
-- allow-list (`dbrelay listen --allow-secret-env`), which the database
-- cannot see.
--
-- Fires on INSERT and on UPDATE of kind, target, config or secret_env: a
-- row written before this check may still be enabled or disabled.
CREATE OR ALTER TRIGGER relay.channel_validate
ON relay.channel
AFTER INSERT, UPDATE
AS
BEGIN
    SET NOCOUNT ON;

    DECLARE @code nvarchar(100);
    DECLARE @problem nvarchar(400);
    DECLARE @msg nvarchar(2048);
    -- Any character that is not a letter, digit or _ (under a binary
    -- collation, so ranges are code points).
    DECLARE @not_name nvarchar(20) = N'%[^A-Za-z0-9_]%';
    -- White space and control characters.
    DECLARE @blank nvarchar(20) = N'%[' + NCHAR(1) + N'-' + NCHAR(32) + NCHAR(127) + N']%';

    IF NOT (UPDATE(kind) OR UPDATE(target) OR UPDATE(config) OR UPDATE(secret_env))
    BEGIN
        RETURN;
    END;

    SELECT TOP (1)
        @code = i.code,
        @problem = p.problem
    FROM inserted AS i
    CROSS APPLY (
        SELECT
            LOWER(i.target) COLLATE Latin1_General_100_BIN2 AS target,
            JSON_QUERY(i.config, N'$.headers') AS headers_object,
            JSON_VALUE(i.config, N'$.headers') AS headers_scalar,
            JSON_QUERY(i.config, N'$.basic_auth') AS auth_object,
            JSON_VALUE(i.config, N'$.basic_auth') AS auth_scalar,
            JSON_VALUE(i.config, N'$.basic_auth.username') AS username,
            JSON_VALUE(i.config, N'$.basic_auth.password_env') COLLATE Latin1_General_100_BIN2 AS password_env,
            JSON_VALUE(i.config, N'$.preset') COLLATE Latin1_General_100_BIN2 AS preset,
            JSON_QUERY(i.config, N'$.preset') AS preset_object,
            JSON_QUERY(i.config, N'$.oauth2') AS oauth2_object,
            JSON_VALUE(i.config, N'$.oauth2') AS oauth2_scalar
    ) AS v
    CROSS APPLY (SELECT SUBSTRING(v.target, CHARINDEX(N'://', v.target) + 3, 4000) AS rest) AS r
    CROSS APPLY (SELECT LEFT(r.rest, PATINDEX(N'%[/?#]%', r.rest + N'/') - 1) AS authority) AS a
    CROSS APPLY (
        SELECT CASE
            WHEN i.secret_env IS NOT NULL AND (
                i.secret_env COLLATE Latin1_General_100_BIN2 NOT LIKE N'[A-Za-z_]%'
                OR i.secret_env COLLATE Latin1_General_100_BIN2 LIKE @not_name
            )
                THEN N'secret_env must be the name of an environment variable (letters, digits and _)'
            WHEN i.kind = N'internal' AND i.target <> N''
                THEN N'an internal channel has no target (its messages are read from relay_api.inbox); leave target empty'
            WHEN i.kind = N'internal'
                AND REPLACE(REPLACE(REPLACE(REPLACE(i.config, N' ', N''), NCHAR(9), N''), NCHAR(10), N''), NCHAR(13), N'')
                <> N'{}'
                THEN N'an internal channel has no config; leave it {}'
            WHEN i.kind = N'internal' AND i.secret_env IS NOT NULL
                THEN N'an internal channel signs nothing; leave secret_env NULL'
            WHEN i.kind NOT IN (N'webhook', N'sms')
                THEN NULL
            WHEN v.target NOT LIKE N'http://_%' AND v.target NOT LIKE N'https://_%'
                THEN N'target must be an absolute http or https URL with a host, e.g. https://crm.example/hooks/oa'
            WHEN PATINDEX(@blank, i.target COLLATE Latin1_General_100_BIN2) > 0
                THEN N'target must be an absolute http or https URL without white space or control characters'
            WHEN CHARINDEX(N'@', a.authority) > 0
                THEN N'target must not contain credentials (user:password@); use config.basic_auth with password_env'
                    + N' so the password stays out of the database'
            WHEN a.authority = N''
                THEN N'target must be an absolute http or https URL with a host'
            WHEN v.headers_scalar IS NOT NULL OR LEFT(v.headers_object, 1) = N'['
                THEN N'config.headers must be an object of header names to values'
            WHEN v.auth_scalar IS NOT NULL OR LEFT(v.auth_object, 1) = N'['
                THEN N'config.basic_auth must be an object {"username": ..., "password_env": ...}'
            WHEN v.auth_object IS NOT NULL AND (v.username IS NULL OR v.username = N'' OR CHARINDEX(N':', v.username) > 0)
                THEN N'config.basic_auth.username must be non-empty, without '':'''
            WHEN v.auth_object IS NOT NULL AND (
                v.password_env IS NULL OR v.password_env NOT LIKE N'[A-Za-z_]%' OR v.password_env LIKE @not_name
            )
                THEN N'config.basic_auth.password_env must be the name of the environment variable holding the password'
            WHEN i.kind = N'webhook' AND (v.preset_object IS NOT NULL
                OR (v.preset IS NOT NULL AND v.preset NOT IN (N'wecom', N'dingtalk', N'feishu')))
                THEN N'config.preset must be wecom, dingtalk or feishu'
            WHEN i.kind = N'webhook' AND v.preset = N'wecom' AND i.secret_env IS NOT NULL
                THEN N'WeCom group robots are not signed (the key in the target URL is their credential); leave secret_env NULL'
            WHEN i.kind = N'webhook' AND (v.oauth2_scalar IS NOT NULL OR LEFT(v.oauth2_object, 1) = N'[')
                THEN N'config.oauth2 must be an object {"token_url": ..., "client_id": ..., "client_secret_env": ...}'
            WHEN i.kind = N'webhook' AND v.oauth2_object IS NOT NULL AND v.auth_object IS NOT NULL
                THEN N'config has both basic_auth and oauth2; a request carries one Authorization, keep one of them'
        END AS problem
    ) AS p
    WHERE p.problem IS NOT NULL
    ORDER BY i.code;

    IF @problem IS NOT NULL
    BEGIN
        SET @msg = N'relay.channel: channel ''' + @code + N''': ' + @problem
            + N'. Hint: Fix the row; the README''s "Webhooks" section and docs/channels.md show each kind''s shape.';
        THROW 50007, @msg, 1;
    END;
END;
GO
-- A disabled trigger is drift: applying this file enables it again (through
-- sp_executesql only because sqlfluff 3.3.1 cannot parse ENABLE TRIGGER).
EXEC sp_executesql N'ENABLE TRIGGER relay.channel_validate ON relay.channel';
GO
