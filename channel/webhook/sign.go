package webhook

import "github.com/dbrelay/dbrelay/webhooksig"

// The Standard Webhooks signing code is shared with `dbrelay serve`, which
// verifies what this package signs (package webhooksig). These names keep
// the sender's code and tests as they were.
var (
	decodeSecret       = webhooksig.DecodeSecret
	appendSignedPrefix = webhooksig.AppendSignedPrefix
	appendSignature    = webhooksig.AppendSignature
	sign               = webhooksig.Sign
)
