-- Checks a relay.channel row when it is written, as far as the database
-- can, so that a typo fails where it is made instead of leaving messages
-- pending behind a listener that cannot use the channel. Raises 23514
-- (check_violation) with a message naming the field and the fix.
--
--   kind      one this dbrelay knows: webhook, email, sms, internal (the
--             CHECK channel_kind_check says the same, less clearly).
--   webhook, sms
--             target: an absolute http or https URL with a host, without
--             white space or user:password@ (credentials go in
--             config.basic_auth.password_env). config.headers, when
--             present, an object of valid header names (not those dbrelay
--             sets: webhook-*, Content-Type, Content-Length,
--             Transfer-Encoding, Trailer, Host, Idempotency-Key for
--             webhooks; Content-Type, Content-Length, Transfer-Encoding,
--             Host for sms; nor the same name twice in another case) to
--             strings (templates) or {"value_from_env": "NAME"};
--             config.basic_auth an object with a username (no ':') and a
--             password_env; one source of Authorization at most.
--   webhook   config keys headers, basic_auth, oauth2; oauth2 an object
--             with token_url (http or https), client_id and
--             client_secret_env, optionally scope, params, auth_method.
--             A config with "preset" is a chat robot (channel/robot): keys
--             preset (wecom, dingtalk or feishu), format (text or
--             markdown), title, text, mention_address, mention_all; WeCom
--             robots are not signed, so no secret_env.
--   sms       config keys method, query, form, json, headers, basic_auth,
--             bearer_token_env, response; not both form and json.
--   internal  no target, no config keys, no secret_env: there is nothing
--             to call.
--   email     checked by its sender.
-- Environment variable names (secret_env, password_env, value_from_env)
-- must be names (letters, digits, _); whether the listener may read them
-- is the operator's allow-list (`dbrelay listen --allow-secret-env`), which
-- the database cannot see. The listener checks everything again when it
-- loads the channel (channel/webhook, channel/robot, channel/sms, templates
-- included), and says so in its log.
--
-- Fires on INSERT and on UPDATE of kind, target, config or secret_env: a
-- row written before this check may still be enabled or disabled.
CREATE OR REPLACE FUNCTION relay.channel_validate() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    env_name constant text := '^[A-Za-z_][A-Za-z0-9_]*$';
    token    constant text := '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$';
    reserved text[] := ARRAY['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type',
                                      'content-length', 'transfer-encoding', 'trailer', 'host',
                                      'idempotency-key', 'x-idempotency-key'];
    problem  text;
    k        text;
    v        jsonb;
    known    text[];
    auth     text;  -- the config key that sets Authorization, if any
BEGIN
    IF NEW.kind IS NULL OR NEW.kind NOT IN ('webhook', 'email', 'sms', 'internal') THEN
        problem := format('kind %s is not one this dbrelay knows (webhook, email, sms, internal)', coalesce(quote_literal(NEW.kind), 'NULL'));
    ELSIF NEW.config IS NULL OR jsonb_typeof(NEW.config) <> 'object' THEN
        problem := 'config must be a JSON object';
    ELSIF NEW.secret_env IS NOT NULL AND NEW.secret_env !~ env_name THEN
        problem := 'secret_env must be the name of an environment variable (letters, digits and _)';
    ELSIF NEW.kind = 'internal' THEN
        IF NEW.target <> '' THEN
            problem := 'an internal channel has no target (its messages are read from relay_api.inbox); leave target empty';
        ELSIF NEW.config <> '{}'::jsonb THEN
            problem := 'an internal channel has no config; leave it {}';
        ELSIF NEW.secret_env IS NOT NULL THEN
            problem := 'an internal channel signs nothing; leave secret_env NULL';
        END IF;
    ELSIF NEW.kind IN ('webhook', 'sms') THEN
        IF NEW.target ~* '^https?://[^/?#]*@' THEN
            problem := 'target must not contain credentials (user:password@); use config.basic_auth with password_env so the password stays out of the database';
        ELSIF NEW.target !~* '^https?://[^/?#[:space:][:cntrl:]]+([/?#][^[:space:][:cntrl:]]*)?$' THEN
            problem := 'target must be an absolute http or https URL with a host and no white space, e.g. https://crm.example/hooks/oa';
        END IF;
        known := CASE
            WHEN NEW.kind = 'sms' THEN ARRAY['basic_auth', 'bearer_token_env', 'form', 'headers', 'json', 'method', 'query', 'response']
            WHEN NEW.config ? 'preset' THEN ARRAY['format', 'mention_address', 'mention_all', 'preset', 'text', 'title']
            ELSE ARRAY['basic_auth', 'headers', 'oauth2'] END;
        IF problem IS NULL THEN
            SELECT string_agg(key, ', ') INTO k
            FROM jsonb_object_keys(NEW.config) AS key WHERE key <> ALL (known);
            IF k IS NOT NULL THEN
                problem := format('config has unknown key(s) %s (known keys: %s)', k, array_to_string(known, ', '));
            END IF;
        END IF;
        IF NEW.kind = 'sms' THEN
            reserved := ARRAY['content-type', 'content-length', 'transfer-encoding', 'host'];
        END IF;
        auth := CASE
            WHEN jsonb_typeof(NEW.config -> 'basic_auth') = 'object' THEN 'config.basic_auth'
            WHEN jsonb_typeof(NEW.config -> 'oauth2') = 'object' THEN 'config.oauth2'
            WHEN jsonb_typeof(NEW.config -> 'bearer_token_env') = 'string' THEN 'config.bearer_token_env' END;
        IF problem IS NULL AND NEW.kind = 'webhook' AND NEW.config ? 'preset' THEN
            IF jsonb_typeof(NEW.config -> 'preset') <> 'string' OR NEW.config ->> 'preset' NOT IN ('wecom', 'dingtalk', 'feishu') THEN
                problem := 'config.preset must be wecom, dingtalk or feishu';
            ELSIF NEW.config ? 'format' AND (jsonb_typeof(NEW.config -> 'format') <> 'string' OR NEW.config ->> 'format' NOT IN ('text', 'markdown')) THEN
                problem := 'config.format must be text or markdown';
            ELSIF NEW.config ->> 'preset' = 'wecom' AND NEW.secret_env IS NOT NULL THEN
                problem := 'WeCom group robots are not signed (the key in the target URL is their credential); leave secret_env NULL';
            ELSE
                SELECT format('config.%s must be %s', e.key,
                              CASE WHEN e.key LIKE 'mention%' THEN 'true or false' ELSE 'a string (a template)' END)
                INTO problem
                FROM jsonb_each(NEW.config) AS e
                WHERE (e.key IN ('title', 'text') AND jsonb_typeof(e.value) <> 'string')
                   OR (e.key IN ('mention_address', 'mention_all') AND jsonb_typeof(e.value) <> 'boolean')
                ORDER BY e.key
                LIMIT 1;
            END IF;
        END IF;
        v := NEW.config -> 'oauth2';
        IF problem IS NULL AND NEW.kind = 'webhook' AND v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
            IF jsonb_typeof(v) <> 'object' THEN
                problem := 'config.oauth2 must be an object {"token_url": …, "client_id": …, "client_secret_env": …}';
            ELSIF EXISTS (SELECT 1 FROM jsonb_object_keys(v) AS key
                          WHERE key NOT IN ('token_url', 'client_id', 'client_secret_env', 'scope', 'params', 'auth_method')) THEN
                problem := 'config.oauth2 has unknown keys (known keys: token_url, client_id, client_secret_env, scope, params, auth_method)';
            ELSIF jsonb_typeof(v -> 'token_url') IS DISTINCT FROM 'string'
                  OR v ->> 'token_url' !~* '^https?://[^/?#@[:space:][:cntrl:]]+([/?#][^[:space:][:cntrl:]]*)?$' THEN
                problem := 'config.oauth2.token_url must be an absolute http or https URL without user:password@';
            ELSIF jsonb_typeof(v -> 'client_id') IS DISTINCT FROM 'string' OR v ->> 'client_id' = '' THEN
                problem := 'config.oauth2.client_id must be the client id, a non-empty string';
            ELSIF jsonb_typeof(v -> 'client_secret_env') IS DISTINCT FROM 'string' OR v ->> 'client_secret_env' !~ env_name THEN
                problem := 'config.oauth2.client_secret_env must be the name of the environment variable holding the client secret';
            ELSIF jsonb_typeof(NEW.config -> 'basic_auth') = 'object' THEN
                problem := 'config has both basic_auth and oauth2; a request carries one Authorization, keep one of them';
            END IF;
        END IF;
        IF problem IS NULL AND NEW.kind = 'sms' THEN
            IF NEW.config ? 'method' AND (jsonb_typeof(NEW.config -> 'method') <> 'string'
                                          OR upper(NEW.config ->> 'method') NOT IN ('POST', 'PUT', 'PATCH', 'GET')) THEN
                problem := 'config.method must be POST, PUT, PATCH or GET';
            ELSIF jsonb_typeof(NEW.config -> 'form') = 'object' AND jsonb_typeof(NEW.config -> 'json') IS DISTINCT FROM 'null'
                  AND NEW.config ? 'json' THEN
                problem := 'config has both form and json; a request has one body, keep one of them';
            ELSIF NEW.config ? 'bearer_token_env' AND (jsonb_typeof(NEW.config -> 'bearer_token_env') <> 'string'
                                                      OR NEW.config ->> 'bearer_token_env' !~ env_name) THEN
                problem := 'config.bearer_token_env must be the name of the environment variable holding the token';
            ELSIF jsonb_typeof(NEW.config -> 'basic_auth') = 'object' AND NEW.config ? 'bearer_token_env' THEN
                problem := 'config has both basic_auth and bearer_token_env; a request carries one Authorization, keep one of them';
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
                           WHEN lower(h.key) = 'authorization' AND auth IS NOT NULL
                               THEN format('config.headers may not set Authorization together with %s; keep one of them', auth)
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
                  HINT = 'Fix the row; the README''s "Webhooks" section and docs/channels.md show each kind''s shape.';
    END IF;
    RETURN NEW;
END
$$;

-- Called only as a trigger (PostgreSQL checks no EXECUTE privilege then).
REVOKE ALL ON FUNCTION relay.channel_validate() FROM PUBLIC;

CREATE OR REPLACE TRIGGER channel_validate
    BEFORE INSERT OR UPDATE OF kind, target, config, secret_env ON relay.channel
    FOR EACH ROW EXECUTE FUNCTION relay.channel_validate();
