package mailin_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Test mails, built the way real mailers write them. Chinese mailers (and
// Outlook on a Chinese Windows) still send GB2312/GBK/GB18030 text with
// RFC 2047 headers and base64 bodies; these builders produce such bytes so
// that the tests read them back through the parser.

func gbk(s string) string {
	b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

// bWord is an RFC 2047 encoded word: =?charset?B?…?=
func bWord(charset, encoded string) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString([]byte(encoded)) + "?="
}

func b64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

const (
	subjectCN = "请审批：差旅报销 镕"                   // 镕 is in GBK, not in GB2312
	bodyCN    = "张三，您好！\r\n报销单 #42 待您审批。€ 😀 𠀀" // 😀 and 𠀀 need GB18030's four-byte sequences
	htmlCN    = "<p>张三，您好！报销单 <b>#42</b></p>"
	fileCN    = "报销单.pdf"
)

// chineseMail is a multipart mail as a Chinese mail client writes it:
// GB2312-labelled subject and text (holding GBK and GB18030 characters),
// a UTF-8 HTML alternative in quoted-printable, a PDF whose name is RFC
// 2231-encoded, a second attachment named with an RFC 2047 word in GBK,
// and an inline image referenced by Content-ID.
func chineseMail(messageID string, pdf []byte) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	if messageID != "" {
		w("Message-ID: <%s>", messageID)
	}
	w("From: %s <wang@example.com>", bWord("gb2312", gbk("王经理")))
	w("To: %s <zs@example.com>, approvals@example.com", mime.QEncoding.Encode("utf-8", "张三"))
	w("Cc: audit@example.com")
	w("Subject: %s", bWord("gb2312", gbk(subjectCN)))
	w("Date: Wed, 25 Nov 2026 09:30:15 +0800")
	w("In-Reply-To: <msg-41@oa.example.com>")
	w("MIME-Version: 1.0")
	w(`Content-Type: multipart/mixed; boundary="mixed"`)
	w("")
	w("--mixed")
	w(`Content-Type: multipart/related; boundary="related"`)
	w("")
	w("--related")
	w(`Content-Type: multipart/alternative; boundary="alt"`)
	w("")
	w("--alt")
	w("Content-Type: text/plain; charset=gb2312")
	w("Content-Transfer-Encoding: base64")
	w("")
	w("%s", b64(gbk(bodyCN)))
	w("--alt")
	w(`Content-Type: text/html; charset="utf-8"`)
	w("Content-Transfer-Encoding: quoted-printable")
	w("")
	w("%s", qp(htmlCN))
	w("--alt--")
	w("--related")
	w("Content-Type: image/png")
	w("Content-Transfer-Encoding: base64")
	w("Content-ID: <logo@oa>")
	w("Content-Disposition: inline")
	w("")
	w("%s", b64("\x89PNG\r\n\x1a\nfake"))
	w("--related--")
	w("--mixed")
	w("Content-Type: application/pdf")
	w("Content-Transfer-Encoding: base64")
	w("Content-Disposition: attachment; filename*=UTF-8''%%E6%%8A%%A5%%E9%%94%%80%%E5%%8D%%95.pdf")
	w("")
	w("%s", b64(string(pdf)))
	w("--mixed")
	w(`Content-Type: application/octet-stream; name="%s"`, bWord("GBK", gbk("附件二.txt")))
	w("Content-Transfer-Encoding: base64")
	w(`Content-Disposition: attachment; filename="%s"`, bWord("GBK", gbk("附件二.txt")))
	w("")
	w("%s", b64("second"))
	w("--mixed--")
	return b.Bytes()
}

func qp(s string) string {
	var b bytes.Buffer
	for _, c := range []byte(s) {
		if c >= 0x80 || c == '=' {
			fmt.Fprintf(&b, "=%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// simpleMail is a one-part text mail.
func simpleMail(messageID, subject, body string) []byte {
	var b bytes.Buffer
	if messageID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", messageID)
	}
	fmt.Fprintf(&b, "From: sender@example.com\r\nTo: relay@example.com\r\nSubject: %s\r\n", mime.BEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n")
	fmt.Fprintf(&b, "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", b64(body))
	return b.Bytes()
}

// withAttachment is a mail with one attachment of the given size.
func withAttachment(messageID string, size int) []byte {
	content := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	var b bytes.Buffer
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nFrom: a@example.com\r\nSubject: attachment %d\r\nMIME-Version: 1.0\r\n", messageID, size)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
	fmt.Fprintf(&b, "--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=data.zip\r\n")
	fmt.Fprintf(&b, "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n", b64(string(content)))
	return b.Bytes()
}

// garbage is not a mail: its first line is no header field. (No NUL: an
// IMAP server sends a NUL as 0x80, so the bytes read would differ from the
// bytes delivered; parse_test.go tries one.)
var garbage = []byte("\x01 this is not a mail \xff\xfe\r\nno header here\r\n\r\nbody")
