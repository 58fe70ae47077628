package mailin

// SetAfterStore makes the reader call f after a mail's transaction
// committed, before the mail is flagged or moved: the crash test kills the
// process there.
func SetAfterStore(c *Config, f func()) { c.afterStore = f }
