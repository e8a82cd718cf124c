"""hwnas.search"""
