"""The sample app's test clock."""

from __future__ import annotations

import httpx


class AppControls:
    """The sample app's test clock (/api/test/clock): the 15-minute life of a pending sign-in, ID token exp/nbf."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/api/test", timeout=timeout)

    def _clock(self, body: dict[str, float] | None = None) -> dict[str, float]:
        response = self._http.post("/clock", json=body) if body is not None else self._http.get("/clock")
        if response.status_code != 200:
            raise RuntimeError(f"{self.base_url}/api/test/clock answered {response.status_code}: {response.text}")
        return response.json()

    def advance_clock(self, seconds: float) -> None:
        self._clock({"advance": seconds})

    def set_clock_offset(self, seconds: float) -> None:
        """The app's now becomes real time + seconds."""
        self._clock({"offset": seconds})

    def reset_clock(self) -> None:
        self._clock({"offset": 0})

    def close(self) -> None:
        self._http.close()
