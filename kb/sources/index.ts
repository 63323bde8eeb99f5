import type { BuildStep } from '../build.js';
import { deepddiStep } from './deepddi.js';
import { derivedStep } from './derived.js';
import { diseaseOntologyStep } from './disease-ontology.js';
import { drugbankStep } from './drugbank.js';
import { drugcentralStep } from './drugcentral.js';
import { icdStep } from './icd.js';
import { hetionetEdgesStep, hetionetNodesStep } from './hetionet.js';
import { pharmacotherapydbStep } from './pharmacotherapydb.js';
import { safetyStep } from './safety.js';
import { siderStep } from './sider.js';

/**
 * Graph and vocabulary steps in dependency order: Hetionet defines the core nodes; Disease
 * Ontology, DrugBank and DrugCentral add vocabulary onto them; indications, side effects and
 * interactions then attach to nodes that already exist.
 */
export const graphBuildSteps: BuildStep[] = [
  hetionetNodesStep,
  hetionetEdgesStep,
  diseaseOntologyStep,
  icdStep,
  drugbankStep,
  drugcentralStep,
  pharmacotherapydbStep,
  siderStep,
  deepddiStep,
  derivedStep,
  // Last: the safety rules resolve drug names and ATC codes every earlier step added.
  safetyStep,
];
