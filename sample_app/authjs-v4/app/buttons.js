"use client";
// NextAuth v4's client-side signIn() and signOut() (next-auth/react): they fetch the CSRF token, POST to
// /api/auth/signin/logto or /api/auth/signout, and follow the URL they are given.
import { signIn, signOut } from "next-auth/react";

export function SignInButton({ authorizationParams }) {
  return (
    <button type="button" onClick={() => signIn("logto", { callbackUrl: "/" }, authorizationParams)}>
      Sign In
    </button>
  );
}

export function SignOutButton() {
  return (
    <button type="button" onClick={() => signOut({ callbackUrl: "/" })}>
      Sign Out
    </button>
  );
}
