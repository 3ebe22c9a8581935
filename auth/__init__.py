"""People, roles and sign-in: customers, CSRs, managers and admins in one service."""
