package robot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// content is one message as a robot posts it.
type content struct {
	markdown   bool
	title      string
	text       string
	mention    string // the address to @, "" for none
	mentionAll bool
}

// platform is what differs between the three robots: the JSON they take,
// how a request is signed, and what their error codes mean.
type platform interface {
	// payload returns the JSON body's members for c.
	payload(c content) map[string]any
	// sign adds the signature for secret at now to the URL or the body.
	sign(u *url.URL, body map[string]any, secret string, now time.Time)
	// codeFields are the members of an answer holding the result code and
	// the message, in the order tried.
	codeFields() (code, msg []string)
	// codes are the documented non-zero result codes; any other is
	// permanent.
	codes() map[int64]verdict
}

// verdict is what a documented result code means.
type verdict struct {
	transient  bool
	retryAfter time.Duration
	hint       string // what to check, for last_error
}

var platforms = map[string]platform{"wecom": wecom{}, "dingtalk": dingtalk{}, "feishu": feishu{}}

// mobile is what a mobile number looks like in relay.recipient.address;
// anything else is taken as the platform's user id.
var mobile = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,19}$`)

// dingtalk: https://open.dingtalk.com/document/robots/custom-robot-access
// and its message types; errcode in the answer.
type dingtalk struct{}

func (dingtalk) payload(c content) map[string]any {
	at := map[string]any{}
	text := c.text
	if c.mention != "" {
		// DingTalk shows the @ only when the content names the person too.
		text += " @" + c.mention
		if mobile.MatchString(c.mention) {
			at["atMobiles"] = []string{c.mention}
		} else {
			at["atUserIds"] = []string{c.mention}
		}
	}
	if c.mentionAll {
		at["isAtAll"] = true
	}
	p := map[string]any{"msgtype": "text", "text": map[string]any{"content": text}}
	if c.markdown {
		// markdown.title is what the notification preview shows.
		p = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": previewTitle(c), "text": text}}
	}
	if len(at) > 0 {
		p["at"] = at
	}
	return p
}

// sign appends timestamp (milliseconds) and sign, base64 of HMAC-SHA256
// keyed with the secret over timestamp + "\n" + secret, URL-encoded.
func (dingtalk) sign(u *url.URL, _ map[string]any, secret string, now time.Time) {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	sig := dingtalkSignature(secret, ts)
	q := "timestamp=" + ts + "&sign=" + url.QueryEscape(sig)
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
}

func dingtalkSignature(secret, ts string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (dingtalk) codeFields() ([]string, []string) { return []string{"errcode"}, []string{"errmsg"} }

var (
	// "每个机器人每分钟最多发送20条消息，如果超过20条，会限流10分钟"
	dingtalkLimited = verdict{transient: true, retryAfter: 10 * time.Minute, hint: "over DingTalk's 20 messages a minute per robot; it blocks the robot for 10 minutes"}
	dingtalkNoRobot = verdict{hint: "the access_token in the target URL is wrong or the robot was deleted: update the channel's target"}
	dingtalkContent = verdict{hint: "DingTalk refused the content"}
	wecomRefused    = verdict{hint: "WeCom refused the message's content or shape"}
)

var dingtalkCodes = map[int64]verdict{
	-1:     {transient: true, hint: "DingTalk is busy"},
	410100: dingtalkLimited,
	130101: dingtalkLimited,
	310000: {hint: "the robot's security settings refused the message: check secret_env (the SEC… secret), the robot's keywords, its IP whitelist and the listener's clock"},
	300001: dingtalkNoRobot,
	400101: dingtalkNoRobot,
	400106: dingtalkNoRobot,
	400102: {hint: "the robot is disabled"},
	400013: {hint: "the group was dissolved"},
	430101: dingtalkContent,
	430102: dingtalkContent,
	430103: dingtalkContent,
	430104: dingtalkContent,
}

func (dingtalk) codes() map[int64]verdict { return dingtalkCodes }

// wecom: https://developer.work.weixin.qq.com/document/path/91770;
// errcode in the answer. Unsigned: the key in the URL is the credential.
type wecom struct{}

// Content limits in bytes (UTF-8), as WeCom documents them.
const (
	wecomMaxText     = 2048
	wecomMaxMarkdown = 4096
)

func (wecom) payload(c content) map[string]any {
	if c.markdown {
		text := c.text
		if c.mention != "" {
			text += " <@" + c.mention + ">"
		}
		return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": clipBytes(text, wecomMaxMarkdown)}}
	}
	t := map[string]any{"content": clipBytes(c.text, wecomMaxText)}
	var ids, mobiles []string
	if c.mention != "" {
		if mobile.MatchString(c.mention) {
			mobiles = append(mobiles, c.mention)
		} else {
			ids = append(ids, c.mention)
		}
	}
	if c.mentionAll {
		ids = append(ids, "@all")
	}
	if ids != nil {
		t["mentioned_list"] = ids
	}
	if mobiles != nil {
		t["mentioned_mobile_list"] = mobiles
	}
	return map[string]any{"msgtype": "text", "text": t}
}

func (wecom) sign(*url.URL, map[string]any, string, time.Time) {}

func (wecom) codeFields() ([]string, []string) { return []string{"errcode"}, []string{"errmsg"} }

var wecomCodes = map[int64]verdict{
	-1:    {transient: true, hint: "WeCom is busy"},
	45009: {transient: true, retryAfter: time.Minute, hint: "over WeCom's 20 messages a minute per robot"},
	93000: {hint: "the key in the target URL is not a valid robot webhook: update the channel's target"},
	40008: wecomRefused,
	44004: wecomRefused,
	40058: wecomRefused,
	45002: wecomRefused,
}

func (wecom) codes() map[int64]verdict { return wecomCodes }

// feishu: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
// (Lark: open.larksuite.com/document/client-docs/bot-v3/use-custom-bots-in-a-group);
// code in the answer (StatusCode, redundant, in the same answers).
type feishu struct{}

func (feishu) payload(c content) map[string]any {
	if !c.markdown {
		text := c.text
		if c.mention != "" {
			text += ` <at user_id="` + c.mention + `"></at>`
		}
		if c.mentionAll {
			text += ` <at user_id="all">所有人</at>`
		}
		return map[string]any{"msg_type": "text", "content": map[string]any{"text": text}}
	}
	text := c.text
	if c.mention != "" {
		text += " <at id=" + c.mention + "></at>"
	}
	if c.mentionAll {
		text += " <at id=all></at>"
	}
	card := map[string]any{"elements": []any{
		map[string]any{"tag": "div", "text": map[string]any{"tag": "lark_md", "content": text}},
	}}
	if c.title != "" {
		card["header"] = map[string]any{"title": map[string]any{"tag": "plain_text", "content": c.title}}
	}
	return map[string]any{"msg_type": "interactive", "card": card}
}

// sign adds timestamp (seconds, as a string) and sign to the body: base64
// of HMAC-SHA256 keyed with timestamp + "\n" + secret over an empty
// message. Not DingTalk's scheme: there the secret is the key.
func (feishu) sign(_ *url.URL, body map[string]any, secret string, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	body["timestamp"] = ts
	body["sign"] = feishuSignature(secret, ts)
}

func feishuSignature(secret, ts string) string {
	mac := hmac.New(sha256.New, []byte(ts+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (feishu) codeFields() ([]string, []string) {
	return []string{"code", "StatusCode"}, []string{"msg", "StatusMessage"}
}

var feishuCodes = map[int64]verdict{
	11232: {transient: true, hint: "over Feishu's limit of 100 messages a minute and 5 a second per robot"},
	19021: {hint: "the signature was refused: check secret_env and the listener's clock (Feishu accepts timestamps within an hour)"},
	19022: {hint: "the robot's IP whitelist does not include the listener's address"},
	19024: {hint: "the message has none of the robot's keywords"},
	9499:  {hint: "Feishu refused the request body (bad shape, or over 20 KB)"},
}

func (feishu) codes() map[int64]verdict { return feishuCodes }

// previewTitle is the title DingTalk's markdown messages require: the
// message's, or the start of the text.
func previewTitle(c content) string {
	if c.title != "" {
		return c.title
	}
	return clipBytes(c.text, 64)
}

// clipBytes cuts s to at most max bytes on a rune boundary, marking the cut
// with an ellipsis, so a long body is shortened instead of refused.
func clipBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
