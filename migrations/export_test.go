package migrations

// Files are the embedded migrations, for tests that step through versions.
var Files = files
