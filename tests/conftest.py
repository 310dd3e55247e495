"""pytest puts this folder on sys.path (it holds a conftest), so every test can import `helpers`."""
