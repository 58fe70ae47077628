SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO
-- relay.on_inbound: the default procedure of an inbound HTTP endpoint
-- (`dbrelay serve`), and the signature every endpoint's procedure has.
--
-- dbrelay:extension-point (the integrator's once installed: `dbrelay migrate up`
-- creates it when missing and never replaces a customised one)
--
-- Called by: dbrelay serve, once per accepted request, inside the request's
-- transaction (with XACT_ABORT ON), right after the request was recorded in
-- relay.inbound (row @inbound_id: its headers and idempotency key are there).
--   @endpoint  the path called (relay.endpoint.path)
--   @caller    who called: relay.endpoint.caller, authenticated
--   @body      the request's JSON body (an object or an array): read it
--              with JSON_VALUE / OPENJSON (compatibility level 130)
-- It answers by setting
--   @status    the HTTP status: 200-299 commits the transaction; 400-499
--              refuses the request and rolls everything back. NULL means
--              200 (or 204 when @response is NULL too).
--   @response  the JSON text sent back (NULL: no body)
-- Raising an error (THROW 50100 or above, or any other) answers 422 with
-- the error's message and rolls the transaction back; relay.inbound then
-- records the failure. Do not COMMIT or ROLLBACK here, and return no
-- result sets (SET NOCOUNT ON; no bare SELECT).
--
-- Integrators: write your own procedure with this signature (any schema,
-- any name, any parameter names: only the types and their order count;
-- @endpoint and @caller may be longer, not shorter), grant EXECUTE on it to
-- serve's role, and register it:
--   dbrelay endpoint add /orders --procedure app.on_order --auth basic ...
-- or edit this body to serve every endpoint that uses the default.
-- Default: accept, leave the request in relay.inbound for whoever reads
-- it, and answer 202 with its id.
CREATE OR ALTER PROCEDURE relay.on_inbound
    @inbound_id bigint,
    @endpoint nvarchar(200),
    @caller nvarchar(200),
    @body nvarchar(max),
    @status int OUTPUT,
    @response nvarchar(max) OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    SET @status = 202;
    SET @response = N'{"inbound_id":' + CONVERT(nvarchar(20), @inbound_id) + N'}';
END;
GO
-- Granted to relay_serve (docs/sqlserver-roles.sql), never to public; keep
-- this if you edit the hook. (Through sp_executesql only because sqlfluff
-- 3.3.1 cannot parse REVOKE.)
EXEC sp_executesql N'REVOKE EXECUTE ON OBJECT::relay.on_inbound FROM public';
GO
