module github.com/dbrelay/dbrelay

go 1.26.8

require (
	github.com/golang-migrate/migrate/v4 v4.20.1
	github.com/lib/pq v1.12.3
	github.com/xo/dburl v0.58.0
)
