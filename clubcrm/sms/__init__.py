"""SMS: the outbox, the dispatcher and the Twilio client."""
