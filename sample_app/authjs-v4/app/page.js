// A "Sign In" button when signed out, a "Sign Out" button when signed in. Authorization parameters on /
// (prompt, login_hint, max_age, ui_locales) ride along to Logto through signIn()'s third argument, as the bundled
// sample app does with its form.
import { getServerSession } from "next-auth/next";

import { authOptions } from "../auth-options";
import { SignInButton, SignOutButton } from "./buttons";

const PASSTHROUGH = ["prompt", "login_hint", "max_age", "ui_locales"];

export default async function Home({ searchParams }) {
  const session = await getServerSession(authOptions);
  if (session?.user) {
    return (
      <main>
        <p>
          Signed in as <strong>{session.user.email ?? session.user.name}</strong>
        </p>
        <SignOutButton />
      </main>
    );
  }
  const query = await searchParams;
  const authorizationParams = Object.fromEntries(
    PASSTHROUGH.filter((name) => typeof query[name] === "string").map((name) => [name, query[name]]),
  );
  return (
    <main>
      <p>Not signed in</p>
      <SignInButton authorizationParams={authorizationParams} />
    </main>
  );
}
