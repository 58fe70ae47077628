// Package robot delivers messages to enterprise chat group robots: WeCom
// (企业微信), DingTalk (钉钉) and Feishu (飞书) — today's versions of
// ccflow's QQ, RTX and MSN message types. Each is a preset of the webhook
// kind: a relay.channel row with kind 'webhook', the robot's webhook URL as
// target, the signing secret's variable as secret_env, and
//
//	{"preset": "dingtalk"}
//
// as config, which is exactly what `dbrelay channel add --preset dingtalk
// --target URL --secret-env NAME` writes. Why a preset of webhook and not a
// kind of its own: a robot is an HTTPS POST of JSON to a URL, like any
// webhook; the kind list in the database (its CHECK, its validation, every
// listener's registry) stays as it is, and rate limits, health and `dbrelay
// channel` treat robots as the webhooks they are. The listener's webhook
// factory hands a config that names a preset to this package instead of the
// Standard Webhooks envelope.
//
// # Config
//
//   - preset: "wecom", "dingtalk" or "feishu" (required).
//   - format: "text" (the default) or "markdown". Feishu has no markdown
//     message type: "markdown" sends an interactive card whose body is
//     lark_md and whose header is the title.
//   - title, text: templates over the message (package channel/tmpl). By
//     default the title is {{.Title}}, and the text is the rendered title
//     on its own line (a "### " heading in markdown; a Feishu card shows it
//     as its header instead) followed by the message body.
//   - mention_address: true to @-mention the message's address (from
//     relay.recipient) in the group: a mobile number (digits, with an
//     optional +) or the platform's user id (DingTalk userId, WeCom userid,
//     Feishu open_id).
//   - mention_all: true to @-mention everyone.
//
// # Signing
//
// secret_env names the variable holding the robot's signing secret
// (DingTalk's SEC…, Feishu's 签名校验 key); leave it NULL when the robot
// relies on keywords or an IP whitelist. WeCom robots are not signed: the
// key in their URL is the credential. The two signatures differ:
//
//   - DingTalk: timestamp in milliseconds; sign = base64(HMAC-SHA256(key =
//     secret, message = timestamp + "\n" + secret)), sent URL-encoded as
//     the timestamp and sign query parameters.
//   - Feishu: timestamp in seconds; sign = base64(HMAC-SHA256(key =
//     timestamp + "\n" + secret, message = empty)), sent as the "timestamp"
//     (a string) and "sign" fields of the JSON body.
//
// # Outcomes
//
// The robots answer HTTP 200 with an error code inside (errcode for WeCom
// and DingTalk, code for Feishu). 0 is sent; each platform's documented
// rate-limit and busy codes are transient; every other code is permanent,
// with the platform's message and a hint in last_error. HTTP statuses
// decide first, as for webhooks (5xx, 429 transient).
package robot
