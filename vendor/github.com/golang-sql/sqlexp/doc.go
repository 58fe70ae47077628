// Copyright 2017 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package sqlexp provides interfaces and functions that may be adopted into
// the database/sql package in the future. All features may change or be removed
// in the future.
package sqlexp // imports github.com/golang-sql/sqlexp
