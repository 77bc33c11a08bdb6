"""A hostile news site on 127.0.0.1 for end-to-end robustness tests of the crawler.

``cases`` lists every bad case (id, path, description, expected outcome); ``server`` serves them
all from one threaded stdlib HTTP server so that one real crawl meets every case.
"""
