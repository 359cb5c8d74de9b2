"""What a person agreed to share with each ministry, and the page to withdraw it."""
