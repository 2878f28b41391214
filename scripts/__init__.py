"""The repository's commands. ``make`` runs each as ``python scripts/<name>.py``; tests import them as
``scripts.<name>`` (the editable install maps the package). Importing one runs nothing: each acts only in its
``main()``, under ``if __name__ == "__main__"``."""
