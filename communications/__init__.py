"""Communications plans, public notices, support services, public enquiries and the public site."""
