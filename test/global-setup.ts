// Filled in with the database and media setup by storage/stage tests.
export default async function setup(): Promise<void> {}
