"""The clearinghouse exchange: the SFTP (or local folder) mailbox, and the run that sends what
the ledger has not sent and applies what came back, each file exactly once."""
