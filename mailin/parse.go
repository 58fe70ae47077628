package mailin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func init() {
	// Chinese mail says gb2312 or gbk and often holds characters only their
	// superset GB18030 has (as WHATWG decodes every one of these labels):
	// decode them all as GB18030, which is a superset of both.
	for _, label := range []string{"gb2312", "csgb2312", "gb_2312-80", "euc-cn", "x-euc-cn", "gbk", "x-gbk", "cp936", "ms936", "windows-936"} {
		charset.RegisterEncoding(label, simplifiedchinese.GB18030)
	}
}

// Parse turns a raw message into the row mail-in stores. It never fails:
// whatever it cannot read is said in ParseError, and then Raw keeps the
// message as it came, beside every field that could be read. Attachments
// over attachmentMax bytes keep their size and hash but not their content.
func Parse(raw []byte, mailbox string, attachmentMax int64) *dialect.InboundMail {
	m := &dialect.InboundMail{Mailbox: mailbox, Size: int64(len(raw))}
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	r, err := mail.CreateReader(bytes.NewReader(raw))
	if r == nil {
		problem("unreadable header: %v", err)
	} else {
		if err != nil {
			problem("%v", err) // an unknown charset or transfer encoding: read as it is
		}
		cs := readParts(r, m, attachmentMax, problem)
		readHeader(r.Header, m, cs)
	}
	m.MessageID = messageID(m.MessageID, raw)
	if len(problems) > 0 {
		m.ParseError = clean(strings.Join(problems, "; "), "")
		m.Raw = raw
	}
	return m
}

// readParts reads the body: text/plain and text/html parts that are not
// attachments become Text and HTML (several are joined), every other part
// an attachment. It returns the first charset a text part declared, for
// headers written in raw 8-bit bytes.
func readParts(r *mail.Reader, m *dialect.InboundMail, attachmentMax int64, problem func(string, ...any)) string {
	var texts, htmls []string
	firstCharset := ""
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && (p == nil || !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
			problem("MIME structure: %v", err)
			break
		}
		if err != nil {
			problem("%v", err)
		}
		ct, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct == "" {
			ct = "text/plain"
		}
		att := mail.AttachmentHeader{Header: headerOf(p.Header)}
		filename, _ := att.Filename()
		_, isInline := p.Header.(*mail.InlineHeader)
		if isInline && filename == "" && (ct == "text/plain" || ct == "text/html") {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				problem("%s part: %v", ct, err)
			}
			if firstCharset == "" {
				firstCharset = params["charset"]
			}
			if ct == "text/html" {
				htmls = append(htmls, clean(string(b), params["charset"]))
			} else {
				texts = append(texts, clean(string(b), params["charset"]))
			}
			continue
		}
		a, err := readAttachment(p.Body, attachmentMax)
		if err != nil {
			problem("attachment %q: %v", filename, err)
		}
		a.Filename = clean(filename, "")
		a.ContentType = ct
		a.ContentID = clean(strings.Trim(strings.TrimSpace(p.Header.Get("Content-Id")), "<>"), "")
		m.Attachments = append(m.Attachments, a)
	}
	m.Text = strings.Join(texts, "\n")
	m.HTML = strings.Join(htmls, "\n")
	return firstCharset
}

func headerOf(h mail.PartHeader) message.Header {
	switch h := h.(type) {
	case *mail.InlineHeader:
		return h.Header
	case *mail.AttachmentHeader:
		return h.Header
	}
	return message.Header{}
}

// readAttachment reads a part, keeping at most max bytes of it: a larger
// one is read to its end for its size and hash, and its content dropped.
func readAttachment(body io.Reader, max int64) (dialect.MailAttachment, error) {
	h := sha256.New()
	var buf bytes.Buffer
	w := &cappedWriter{buf: &buf, max: max, hash: h}
	_, err := io.Copy(w, body)
	a := dialect.MailAttachment{Size: w.n, SHA256: hex.EncodeToString(h.Sum(nil))}
	if w.n > max {
		a.Omitted = fmt.Sprintf("%d bytes, over the attachment limit of %d (--attachment-max)", w.n, max)
	} else {
		a.Content = append([]byte{}, buf.Bytes()...)
	}
	return a, err
}

type cappedWriter struct {
	buf  *bytes.Buffer
	max  int64
	n    int64
	hash hash.Hash
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	w.hash.Write(p)
	w.n += int64(len(p))
	if w.n <= w.max {
		w.buf.Write(p)
	} else {
		w.buf.Reset()
	}
	return len(p), nil
}

// readHeader fills in the header fields. Addresses that do not parse are
// kept as their text; a Date that does not parse is left NULL.
func readHeader(h mail.Header, m *dialect.InboundMail, cs string) {
	text := func(key string) string {
		v, err := h.Text(key)
		if err != nil {
			v = h.Get(key)
		}
		return clean(v, cs)
	}
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
	} else {
		m.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	}
	m.MessageID = clean(m.MessageID, "")
	m.Subject = text("Subject")
	if from := addressList(h, "From", cs); len(from) > 0 {
		m.From, m.FromName = clean(from[0].Address, ""), clean(from[0].Name, cs)
	} else {
		m.From = text("From")
	}
	m.To = addresses(h, "To", cs)
	m.Cc = addresses(h, "Cc", cs)
	if ids, err := h.MsgIDList("In-Reply-To"); err == nil && len(ids) > 0 {
		m.InReplyTo = clean(ids[0], "")
	} else {
		m.InReplyTo = clean(strings.Trim(strings.TrimSpace(h.Get("In-Reply-To")), "<>"), "")
	}
	if d, err := h.Date(); err == nil {
		m.SentAt = d
	}
}

// addressList parses an address header; when it does not parse as it is
// (raw 8-bit names), it parses its text read in charset cs. nil when that
// fails too.
func addressList(h mail.Header, key, cs string) []*mail.Address {
	if list, err := h.AddressList(key); err == nil {
		return list
	}
	v, err := h.Text(key)
	if err != nil {
		v = h.Get(key)
	}
	list, err := mail.ParseAddressList(clean(v, cs))
	if err != nil {
		return nil
	}
	return list
}

// addresses lists a header's addresses, "a@x, b@y"; its text when it does
// not parse.
func addresses(h mail.Header, key, cs string) string {
	list := addressList(h, key, cs)
	if list == nil {
		v, _ := h.Text(key)
		return clean(v, cs)
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, clean(a.Address, ""))
	}
	return strings.Join(out, ", ")
}

// messageID returns the key a mail is stored under: its Message-ID, or
// when it has none "sha256:" and the hex SHA-256 of the raw message, which
// is the same every time the mail is read. A Message-ID longer than the
// column takes is replaced by "sha256:" and the hash of the Message-ID.
func messageID(id string, raw []byte) string {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		s := sha256.Sum256(raw)
		return "sha256:" + hex.EncodeToString(s[:])
	case utf8.RuneCountInString(id) > dialect.MaxMessageIDLen:
		s := sha256.Sum256([]byte(id))
		return "sha256:" + hex.EncodeToString(s[:])
	}
	return id
}

// clean makes s storable: valid UTF-8 without NUL. Bytes that are not
// UTF-8 are first read in charset cs when one is given (a header written
// in raw GBK by a mailer that ignored RFC 2047), and replaced with U+FFFD
// when that fails too.
func clean(s, cs string) string {
	if !utf8.ValidString(s) && cs != "" {
		if r, err := charset.Reader(cs, strings.NewReader(s)); err == nil {
			if b, err := io.ReadAll(r); err == nil && utf8.Valid(b) {
				s = string(b)
			}
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
