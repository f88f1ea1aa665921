"""Local stand-ins for the internet: a fault-injecting HTTP server, Drive and Kaggle fakes."""
