"""The credentials the session emulator accepts (the secret must never appear in any output)."""

TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "test-client-s3cr3t-never-shown"
