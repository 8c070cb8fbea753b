"""``sartriage train``: a person head trained on the shipped detector's frozen features (see ``run``)."""
