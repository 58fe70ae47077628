-- relay.on_inbound: the default procedure of an inbound HTTP endpoint
-- (`dbrelay serve`), and the signature every endpoint's procedure has.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: dbrelay serve, once per accepted request, inside the request's
-- transaction, right after the request was recorded in relay.inbound (row
-- inbound_id: its headers and idempotency key are there).
--   endpoint  the path called (relay.endpoint.path)
--   caller    who called: relay.endpoint.caller, authenticated
--   body      the request's JSON body (an object or an array)
-- It answers by setting
--   status    the HTTP status: 200-299 commits the transaction; 400-499
--             refuses the request and rolls everything back. NULL means 200
--             (or 204 when response is NULL too).
--   response  the JSON value sent back (NULL: no body)
-- Raising an error answers 422 with the error's message and rolls the
-- transaction back; relay.inbound then records the failure.
--
-- Integrators: write your own function with this signature (any schema,
-- any name, any parameter names: only the types and their order count),
-- grant EXECUTE on it to serve's role, and register it:
--   dbrelay endpoint add /orders --procedure app.on_order --auth basic ...
-- or edit this body to serve every endpoint that uses the default.
-- Default: accept, leave the request in relay.inbound for whoever reads
-- it, and answer 202 with its id.
CREATE OR REPLACE FUNCTION relay.on_inbound(
    inbound_id bigint,
    endpoint   text,
    caller     text,
    body       jsonb,
    OUT status   integer,
    OUT response jsonb
)
LANGUAGE plpgsql
AS $$
BEGIN
    status := 202;
    response := jsonb_build_object('inbound_id', inbound_id);
END
$$;

-- Only roles granted EXECUTE may run it (docs/postgres-roles.sql grants it
-- to relay_serve).
REVOKE ALL ON FUNCTION relay.on_inbound(bigint, text, text, jsonb) FROM PUBLIC;
