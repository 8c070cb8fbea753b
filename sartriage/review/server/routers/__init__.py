"""One router per resource of the review API."""
