"""The `watchword` command line: thin click commands over the library."""
