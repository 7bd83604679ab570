"""Registration, activation, sign-in, passwords, sessions of users, and administrators' accounts."""
