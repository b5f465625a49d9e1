"""remittance_reader: bank statements and the AR mailbox in; payments and remittances out."""

from bots.remittance_reader.run import ReadSummary, read_mailbox, read_statements

__all__ = ["ReadSummary", "read_mailbox", "read_statements"]
