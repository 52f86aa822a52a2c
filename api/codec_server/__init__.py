"""The codec server: decrypts payloads for the Web UI and CLI of people who hold the key."""
