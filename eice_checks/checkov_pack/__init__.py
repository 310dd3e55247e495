"""The Checkov custom policy pack: ``checkov --external-checks-dir "$(eice-checks --checkov-dir)"``.

Checkov loads every ``*.py`` file of this directory but this one, each as a top-level module named
after its file: the file imports eice_checks absolutely, and its name must not shadow a module.
"""
import os

DIRECTORY = os.path.dirname(os.path.abspath(__file__))
