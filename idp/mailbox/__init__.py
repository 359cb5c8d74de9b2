"""The secure mailbox of each account: messages from the provider and the ministries."""
