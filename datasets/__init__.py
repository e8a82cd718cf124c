"""hwnas.datasets"""
