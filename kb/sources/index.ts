import type { BuildStep } from '../base/build-context.js';
import { deepddiStep } from './deepddi.js';
import { derivedStep } from './derived.js';
import { diseaseHierarchyStep } from './disease-hierarchy.js';
import { diseaseOntologyStep } from './disease-ontology.js';
import { drugbankStep } from './drugbank.js';
import { drugcentralStep } from './drugcentral.js';
import { icdStep } from './icd.js';
import { hetionetEdgesStep, hetionetNodesStep } from './hetionet.js';
import { indicationsStep } from './indications.js';
import { pharmacotherapydbStep } from './pharmacotherapydb.js';
import { safetyStep } from './safety.js';
import { siderStep } from './sider.js';

/**
 * Graph and vocabulary steps in dependency order: Hetionet defines the core nodes; Disease
 * Ontology, DrugBank and DrugCentral add vocabulary onto them; indications, side effects and
 * interactions then attach to nodes that already exist (the indication step also adds ChEMBL
 * drugs DrugBank 4.2 lacks).
 */
export const graphBuildSteps: BuildStep[] = [
  hetionetNodesStep,
  hetionetEdgesStep,
  diseaseOntologyStep,
  icdStep,
  diseaseHierarchyStep,
  drugbankStep,
  drugcentralStep,
  pharmacotherapydbStep,
  siderStep,
  // After every vocabulary step (it maps onto their nodes and names) and before `derived` (degrees count its edges).
  indicationsStep,
  deepddiStep,
  derivedStep,
  // Last: the safety rules resolve drug names and ATC codes every earlier step added.
  safetyStep,
];
