"""One module per family of inbound activities; `inbox.dispatch` picks the handler."""
