// The guide's home page: a "Sign In" form when signed out, a "Sign Out" form when signed in (server actions).
// Authorization parameters on / (prompt, login_hint, max_age, ui_locales) ride along to Logto through
// signIn()'s third argument, as the bundled sample app does with its form.
import { auth, signIn, signOut } from "../auth";

const PASSTHROUGH = ["prompt", "login_hint", "max_age", "ui_locales"];

export default async function Home({ searchParams }) {
  const session = await auth();
  if (session?.user) {
    return (
      <main>
        <p>
          Signed in as <strong>{session.user.email ?? session.user.name}</strong>
        </p>
        <form
          action={async () => {
            "use server";
            await signOut({ redirectTo: "/" });
          }}
        >
          <button type="submit">Sign Out</button>
        </form>
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
      <form
        action={async () => {
          "use server";
          await signIn("logto", { redirectTo: "/" }, authorizationParams);
        }}
      >
        <button type="submit">Sign In</button>
      </form>
    </main>
  );
}
