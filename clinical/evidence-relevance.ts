/**
 * Whether a trial studies the drug, or only lists it: the registry lists every drug given in any
 * arm, background therapy included (metformin in most insulin and SGLT2 trials). Without arm roles
 * in the data, a trial counts as studying the drug when its title names it, or when it lists at most
 * two interventions and one is the drug. Fewer, right citations beat many weak ones (issue 14).
 */
export function trialStudiesDrug(trial: { title: string; interventions: string[] }, drugNames: string[]): boolean {
  const names = drugNames.map((n) => n.toLowerCase()).filter((n) => n.length >= 4);
  const title = trial.title.toLowerCase();
  if (names.some((n) => title.includes(n))) return true;
  return trial.interventions.length <= 2 && trial.interventions.some((i) => names.some((n) => i.toLowerCase().includes(n)));
}
