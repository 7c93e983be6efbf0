/** The three names an object request is about (validated by objectPathProblem first). */
export interface ObjectNames {
  account: string;
  container: string;
  object: string;
}
