// The baseline's activities: each answers at once (no upstream), so what remains is the engine's round trip.

export const bareActivities = {
  async work(step: string): Promise<{ step: string }> {
    return { step };
  },
};

export type BareActivities = typeof bareActivities;
