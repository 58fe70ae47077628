-- Checks a relay.channel row when it is written, as far as the database
-- can, so that a typo fails where it is made instead of leaving messages
-- pending behind a listener that cannot use the channel. Raises 23514
-- (check_violation) with a message naming the field and the fix.
--
--   kind      one this dbrelay knows: webhook, email, sms, internal (the
--             CHECK channel_kind_check says the same, less clearly).
--   webhook   target: an absolute http or https URL with a host, without
--             white space or user:password@ (credentials go in
--             config.basic_auth.password_env). config: only the keys
--             headers and basic_auth; headers an object of valid header
--             names (not webhook-*, Content-Type, Content-Length,
--             Transfer-Encoding, Trailer, Host, Idempotency-Key, nor the
--             same name twice in another case) to string values or
--             {"value_from_env": "NAME"}; basic_auth an object with a
--             username (no ':') and a password_env; not both basic_auth and
--             an Authorization header.
--   internal  no target, no config keys, no secret_env: there is nothing
--             to call.
--   email, sms  checked by their senders when they come.
-- Environment variable names (secret_env, password_env, value_from_env)
-- must be names (letters, digits, _); whether the listener may read them
-- is the operator's allow-list (`dbrelay listen --allow-secret-env`), which
-- the database cannot see. The listener checks everything again when it
-- loads the channel (channel/webhook), and says so in its log.
--
-- Fires on INSERT and on UPDATE of kind, target, config or secret_env: a
-- row written before this check may still be enabled or disabled.
CREATE OR REPLACE FUNCTION relay.channel_validate() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    env_name constant text := '^[A-Za-z_][A-Za-z0-9_]*$';
    token    constant text := '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$';
    reserved constant text[] := ARRAY['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type',
                                      'content-length', 'transfer-encoding', 'trailer', 'host',
                                      'idempotency-key', 'x-idempotency-key'];
    problem  text;
    k        text;
    v        jsonb;
BEGIN
    IF NEW.kind IS NULL OR NEW.kind NOT IN ('webhook', 'email', 'sms', 'internal') THEN
        problem := format('kind %s is not one this dbrelay knows (webhook, email, sms, internal)', coalesce(quote_literal(NEW.kind), 'NULL'));
    ELSIF NEW.config IS NULL OR jsonb_typeof(NEW.config) <> 'object' THEN
        problem := 'config must be a JSON object';
    ELSIF NEW.secret_env IS NOT NULL AND NEW.secret_env !~ env_name THEN
        problem := 'secret_env must be the name of an environment variable (letters, digits and _)';
    ELSIF NEW.kind = 'internal' THEN
        IF NEW.target <> '' THEN
            problem := 'an internal channel has no target (its messages are read from relay_api.outbox); leave target empty';
        ELSIF NEW.config <> '{}'::jsonb THEN
            problem := 'an internal channel has no config; leave it {}';
        ELSIF NEW.secret_env IS NOT NULL THEN
            problem := 'an internal channel signs nothing; leave secret_env NULL';
        END IF;
    ELSIF NEW.kind = 'webhook' THEN
        IF NEW.target ~* '^https?://[^/?#]*@' THEN
            problem := 'target must not contain credentials (user:password@); use config.basic_auth with password_env so the password stays out of the database';
        ELSIF NEW.target !~* '^https?://[^/?#[:space:][:cntrl:]]+([/?#][^[:space:][:cntrl:]]*)?$' THEN
            problem := 'target must be an absolute http or https URL with a host and no white space, e.g. https://crm.example/hooks/oa';
        END IF;
        IF problem IS NULL THEN
            SELECT string_agg(key, ', ') INTO k
            FROM jsonb_object_keys(NEW.config) AS key WHERE key NOT IN ('headers', 'basic_auth');
            IF k IS NOT NULL THEN
                problem := format('config has unknown key(s) %s (known keys: headers, basic_auth)', k);
            END IF;
        END IF;
        v := NEW.config -> 'headers';
        IF problem IS NULL AND v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
            IF jsonb_typeof(v) <> 'object' THEN
                problem := 'config.headers must be an object of header names to values';
            ELSE
                SELECT CASE
                           WHEN h.key !~ token THEN format('config.headers: %s is not a valid header name', quote_literal(h.key))
                           WHEN lower(h.key) = ANY (reserved) THEN format('config.headers may not set %s: dbrelay sets it', h.key)
                           WHEN lower(h.key) = 'authorization' AND NEW.config ? 'basic_auth' AND jsonb_typeof(NEW.config -> 'basic_auth') <> 'null'
                               THEN 'config.headers may not set Authorization together with config.basic_auth; keep one of them'
                           WHEN jsonb_typeof(h.value) = 'string' THEN
                               CASE WHEN h.value #>> '{}' ~ '[\x01-\x08\x0A-\x1F\x7F]'
                                    THEN format('config.headers: the value of %s contains control characters', h.key) END
                           WHEN jsonb_typeof(h.value) <> 'object'
                               THEN format('config.headers: the value of %s must be a string or {"value_from_env": "NAME"}', h.key)
                           WHEN (SELECT count(*) FROM jsonb_object_keys(h.value)) <> 1 OR NOT h.value ? 'value_from_env'
                               THEN format('config.headers.%s must be {"value_from_env": "NAME"} and nothing else', h.key)
                           WHEN jsonb_typeof(h.value -> 'value_from_env') <> 'string' OR h.value ->> 'value_from_env' !~ env_name
                               THEN format('config.headers.%s.value_from_env must be the name of an environment variable', h.key)
                       END
                INTO problem
                FROM jsonb_each(v) AS h
                ORDER BY 1 NULLS LAST
                LIMIT 1;
                IF problem IS NULL AND (SELECT count(DISTINCT lower(key)) <> count(*) FROM jsonb_object_keys(v) AS key) THEN
                    problem := 'config.headers sets a header twice (header names are case-insensitive)';
                END IF;
            END IF;
        END IF;
        v := NEW.config -> 'basic_auth';
        IF problem IS NULL AND v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
            IF jsonb_typeof(v) <> 'object' THEN
                problem := 'config.basic_auth must be an object {"username": …, "password_env": …}';
            ELSIF EXISTS (SELECT 1 FROM jsonb_object_keys(v) AS key WHERE key NOT IN ('username', 'password_env')) THEN
                problem := 'config.basic_auth has unknown keys (known keys: username, password_env)';
            ELSIF jsonb_typeof(v -> 'username') IS DISTINCT FROM 'string' OR v ->> 'username' = '' OR v ->> 'username' ~ '[:\x01-\x1F\x7F]' THEN
                problem := 'config.basic_auth.username must be non-empty, without '':'' or control characters';
            ELSIF jsonb_typeof(v -> 'password_env') IS DISTINCT FROM 'string' OR v ->> 'password_env' !~ env_name THEN
                problem := 'config.basic_auth.password_env must be the name of the environment variable holding the password';
            END IF;
        END IF;
    END IF;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'relay.channel: channel %: %', coalesce(quote_literal(NEW.code), 'NULL'), problem
            USING ERRCODE = 'check_violation',
                  HINT = 'Fix the row; the README''s "Webhooks" section shows a channel''s shape.';
    END IF;
    RETURN NEW;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.channel_validate() FROM PUBLIC;

CREATE OR REPLACE TRIGGER channel_validate
    BEFORE INSERT OR UPDATE OF kind, target, config, secret_env ON relay.channel
    FOR EACH ROW EXECUTE FUNCTION relay.channel_validate();
