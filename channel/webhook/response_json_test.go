package webhook

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
)

// A JSON answer is kept whole up to MaxJSONResponse, beside the 4 KiB
// text; anything else keeps only the text.
func TestResponseJSON(t *testing.T) {
	mid := `{"formData": "` + strings.Repeat("x", 3*channel.MaxResponseBody) + `"}`
	big := `{"formData": "` + strings.Repeat("x", channel.MaxJSONResponse) + `"}`
	cases := []struct {
		name, body, json string
		status           int
	}{
		{"small object", `{"cancel": true, "prompt": "请补充"}`, `{"cancel":true,"prompt":"请补充"}`, 200},
		{"answer of a failure too", `{"error": "busy"}`, `{"error":"busy"}`, 503},
		{"over the text cap, under the JSON cap", mid, mid[:14] + strings.Repeat("x", 3*channel.MaxResponseBody) + `"}`, 200},
		{"over the JSON cap", big, "", 200},
		{"text", "OK, thanks", "", 200},
		{"looks like JSON, is not", `{"a": `, "", 200},
		{"credentials echoed are masked", `{"headers": {"Authorization": "Bearer abc.def"}}`, `{"headers":{"Authorization":"` + channel.Redacted + `"}}`, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			})
			res := mustSender(t, testChannel(srv.URL), nil).Send(context.Background(), testMessage())
			if res.JSON != strings.ReplaceAll(c.json, `"formData": "`, `"formData":"`) {
				t.Errorf("JSON = %.80q (%d bytes), want %.80q (%d bytes)", res.JSON, len(res.JSON), c.json, len(c.json))
			}
			want := c.body
			if len(want) > channel.MaxResponseBody {
				want = want[:channel.MaxResponseBody]
			}
			if !strings.Contains(c.name, "masked") && res.Body != want {
				t.Errorf("Body = %.60q… (%d bytes), want the first %d bytes", res.Body, len(res.Body), len(want))
			}
		})
	}
}
