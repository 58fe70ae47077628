package dialect

import "database/sql"

// MaxHealthReason is the longest reason relay.channel_health keeps (in
// characters); longer ones are cut by TrimReason.
const MaxHealthReason = 1000

// TrimReason cuts a reason to MaxHealthReason characters.
func TrimReason(s string) string {
	r := []rune(s)
	if len(r) <= MaxHealthReason {
		return s
	}
	return string(r[:MaxHealthReason-1]) + "…"
}

// ScanChannelStats reads relay_api.channel_stats rows selected as channel,
// kind, enabled, pending, sending, sent, dead, cancelled, up, reason,
// parked_until, waiting. It closes rows.
func ScanChannelStats(rows *sql.Rows) ([]ChannelStat, error) {
	defer rows.Close()
	var out []ChannelStat
	for rows.Next() {
		var s ChannelStat
		var up sql.NullBool
		var reason sql.NullString
		var parked sql.NullTime
		if err := rows.Scan(&s.Channel, &s.Kind, &s.Enabled, &s.Pending, &s.Sending, &s.Sent, &s.Dead,
			&s.Cancelled, &up, &reason, &parked, &s.Waiting); err != nil {
			return nil, err
		}
		if up.Valid {
			s.Up = &up.Bool
		}
		s.Reason = reason.String
		if parked.Valid {
			t := parked.Time.UTC()
			s.ParkedUntil = &t
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScanWaiting reads (channel, count) rows. It closes rows.
func ScanWaiting(rows *sql.Rows) (map[string]int64, error) {
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var ch string
		var n int64
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, err
		}
		out[ch] = n
	}
	return out, rows.Err()
}
