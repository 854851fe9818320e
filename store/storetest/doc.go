// Package storetest connects tests to the real Redis and PostgreSQL of the
// machine, each test run isolated by its own key prefix or database.
package storetest
